import type { JSX } from 'solid-js';
import { t } from '../i18n/i18n.ts';

// Status is said in words, not only by colour (WCAG 1.4.1).

export function StatusBadge(props: { status: 'active' | 'blocked' | 'closed' }): JSX.Element {
  return <span class={`badge badge-${props.status}`}>{t(`status.${props.status}`)}</span>;
}
