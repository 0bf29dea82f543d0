import { RouterOSAPI } from 'node-routeros';

// Unwrapped node-routeros against a RouterOS 7.18 router: an empty print kills the
// process (the test that runs this expects it to). Argument: the simulator's port.
const api = new RouterOSAPI({
  host: '127.0.0.1',
  port: Number(process.argv[2]),
  user: 'admin',
  password: 'secret',
});
await api.connect();
await api.write('/ip/firewall/address-list/print', ['?list=nothing-here']);
await api.close();
