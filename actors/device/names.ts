// What RouterOS accepts where Abonent writes it, checked before anything is journaled.

export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** A firewall address-list name. */
export const LIST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** `upload/download` as /queue/simple max-limit takes it: `10M/50M`, `512k/2M`. */
export const MAX_LIMIT = /^\d+(\.\d+)?[kMG]?\/\d+(\.\d+)?[kMG]?$/;
/** A /ppp/secret name: no spaces, no `=` (the API's word separator). */
export const PPP_NAME = /^[^\s=]{1,128}$/;
export const MAC = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/;

/** `aa-bb-cc-dd-ee-ff` → `AA:BB:CC:DD:EE:FF`, as RouterOS shows it. */
export const normalizeMac = (mac: string): string => mac.toUpperCase().replace(/-/g, ':');
