import { render } from 'solid-js/web';
import { App } from './app.tsx';
import { locale } from './i18n/i18n.ts';
import './style.css';

// The NOC dashboard: staff sign in here and watch accounts, money and the network live.

document.documentElement.lang = locale();
const root = document.getElementById('root');
if (root) render(() => <App />, root);
