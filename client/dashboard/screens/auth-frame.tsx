import type { JSX } from 'solid-js';
import { t } from '../i18n/i18n.ts';
import { LanguageSwitch } from '../ui/language.tsx';

// The frame of the screens before sign-in: the product name, the language switch, one card.

export function AuthFrame(props: { children: JSX.Element }): JSX.Element {
  return (
    <div class="auth-page">
      <header class="auth-head">
        <span class="brand">{t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" class="auth-card">
        {props.children}
      </main>
    </div>
  );
}
