import { createEffect, createResource, createSignal, For, type JSX, Match, on, Show, Switch } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { get } from './api/http.ts';
import { resetDevices } from './devices.ts';
import { t } from './i18n/i18n.ts';
import { live, liveStatus } from './live.ts';
import { allowed, SECTIONS } from './nav.ts';
import { href, type Route, route } from './router.ts';
import { AccountCard } from './screens/account/card.tsx';
import { AccountsScreen } from './screens/accounts/accounts.tsx';
import { AuditScreen } from './screens/audit.tsx';
import { AuthFrame } from './screens/auth-frame.tsx';
import { DeviceScreen } from './screens/devices/device.tsx';
import { DevicesScreen } from './screens/devices/devices.tsx';
import { HomeScreen } from './screens/home/home.tsx';
import { LoginScreen } from './screens/login.tsx';
import { MapScreen } from './screens/map/map.tsx';
import { ProfileScreen } from './screens/profile.tsx';
import { RequestsScreen } from './screens/requests/board.tsx';
import { SetupScreen } from './screens/setup.tsx';
import { StaffScreen } from './screens/staff.tsx';
import { TariffsScreen } from './screens/tariffs.tsx';
import { logout, phase, reloadMe, restore, user } from './session.ts';
import { resetTariffs } from './tariffs.ts';
import { LanguageSwitch } from './ui/language.tsx';
import { Loading } from './ui/states.tsx';

// The app: setup → sign-in → the shell with its sections. The live connection runs exactly
// while someone is signed in.

export function App(): JSX.Element {
  void restore();
  const [setupDone, setSetupDone] = createSignal(false);
  const [setup] = createResource(
    () => phase() === 'ready' && !user() && !setupDone(),
    () => get<{ needsAdmin: boolean }>('/api/v1/setup').catch(() => ({ needsAdmin: false })),
  );

  // The server drops a user's sockets when their roles change: after the reconnect the menu
  // and buttons follow the new roles.
  live.onResync(() => {
    if (user()) void reloadMe().catch(() => {});
  });

  createEffect(
    on(
      () => user()?.id,
      (id) => {
        if (id) live.start();
        else {
          live.stop();
          resetTariffs();
          resetDevices();
        }
      },
    ),
  );

  return (
    <Switch>
      <Match when={phase() === 'restoring'}>
        <AuthFrame>
          <Loading label={t('login.restoring')} />
        </AuthFrame>
      </Match>
      <Match when={!user() && !setupDone() && setup()?.needsAdmin}>
        <SetupScreen onDone={() => setSetupDone(true)} />
      </Match>
      <Match when={!user()}>
        <LoginScreen notice={setupDone() ? t('setup.done') : undefined} />
      </Match>
      <Match when={user()}>
        <Shell />
      </Match>
    </Switch>
  );
}

function Shell(): JSX.Element {
  // Keyboard and screen-reader users land on the new screen's heading after each navigation.
  createEffect(
    on(
      () => route(),
      () => {
        requestAnimationFrame(() =>
          document.querySelector<HTMLElement>('#main h1')?.focus({ preventScroll: true }),
        );
        window.scrollTo(0, 0);
      },
      { defer: true },
    ),
  );
  createEffect(() => {
    const r = route();
    const section = SECTIONS.find((s) => s.route === r.name);
    document.title = `${section ? t(section.label) : r.name === 'account' ? t('account.title', { id: r.id }) : r.name === 'device' ? `${t('dev.title')}: ${r.id}` : t('app.name')} — ${t('app.name')}`;
  });

  return (
    <div class="shell">
      <button
        type="button"
        class="skip"
        onClick={() => document.querySelector<HTMLElement>('#main h1')?.focus()}
      >
        {t('app.skip')}
      </button>
      <header class="topbar">
        <a class="brand" href={href.home}>
          {t('app.name')}
        </a>
        <nav class="nav" aria-label={t('app.menu')}>
          <ul>
            <For each={SECTIONS.filter((s) => s.allowed())}>
              {(s) => (
                <li>
                  <a
                    href={s.href}
                    aria-current={
                      route().name === s.route ||
                      (s.route === 'accounts' && route().name === 'account') ||
                      (s.route === 'devices' && route().name === 'device')
                        ? 'page'
                        : undefined
                    }
                    data-testid={`nav-${s.route}`}
                  >
                    {t(s.label)}
                  </a>
                </li>
              )}
            </For>
          </ul>
        </nav>
        <div class="topbar-end">
          <span
            class={`live live-${liveStatus()}`}
            role="status"
            title={t('live.status', { status: t(`live.${liveStatus()}`) })}
            data-testid="live-status"
          >
            <span class="dot" aria-hidden="true" />
            {t(`live.${liveStatus()}`)}
          </span>
          <LanguageSwitch />
          <span class="who" data-testid="who">
            {user()?.username}
          </span>
          <button
            type="button"
            class="btn btn-small btn-on-dark"
            data-testid="logout"
            onClick={() => void logout()}
          >
            {t('app.logout')}
          </button>
        </div>
      </header>
      <main id="main" class="main">
        <Screen route={route()} />
      </main>
    </div>
  );
}

function Screen(props: { route: Route }): JSX.Element {
  const screens: Partial<Record<Route['name'], () => JSX.Element>> = {
    home: HomeScreen,
    accounts: AccountsScreen,
    tariffs: TariffsScreen,
    staff: StaffScreen,
    audit: AuditScreen,
    requests: RequestsScreen,
    map: MapScreen,
    devices: DevicesScreen,
    profile: ProfileScreen,
  };
  return (
    <Switch>
      <Match when={!allowed(props.route.name)}>
        <div class="screen">
          <h1 tabindex="-1">{t('app.not_allowed')}</h1>
          <p>
            <a href={href.home}>{t('app.go_home')}</a>
          </p>
        </div>
      </Match>
      <Match when={props.route.name === 'account' && props.route}>
        {(r) => (
          <Show when={(r() as { id: string }).id} keyed>
            {(id) => <AccountCard id={id} />}
          </Show>
        )}
      </Match>
      <Match when={props.route.name === 'device' && props.route}>
        {(r) => (
          <Show when={(r() as { id: string }).id} keyed>
            {(id) => <DeviceScreen id={id} />}
          </Show>
        )}
      </Match>
      <Match when={screens[props.route.name]}>{(component) => <Dynamic component={component()} />}</Match>
      <Match when={true}>
        <div class="screen">
          <h1 tabindex="-1">{t('app.not_found')}</h1>
          <p>
            <a href={href.home}>{t('app.go_home')}</a>
          </p>
        </div>
      </Match>
    </Switch>
  );
}
