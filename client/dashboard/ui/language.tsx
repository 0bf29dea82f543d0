import { For, type JSX } from 'solid-js';
import { LOCALES, type Locale, locale, setLocale, t } from '../i18n/i18n.ts';

// RU | EN as a pair of toggle buttons: one press, and the state is announced (aria-pressed).

const names: Record<Locale, string> = { ru: 'Русский', en: 'English' };

export function LanguageSwitch(): JSX.Element {
  return (
    <fieldset class="lang" data-testid="lang-switch">
      <legend class="sr-only">{t('app.language')}</legend>
      <For each={LOCALES}>
        {(l) => (
          <button
            type="button"
            class="lang-btn"
            lang={l}
            aria-pressed={locale() === l}
            aria-label={names[l]}
            data-testid={`lang-${l}`}
            onClick={() => setLocale(l)}
          >
            {l.toUpperCase()}
          </button>
        )}
      </For>
    </fieldset>
  );
}
