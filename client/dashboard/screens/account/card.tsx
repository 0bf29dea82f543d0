import { createResource, createSignal, For, type JSX, Show } from 'solid-js';
import type { SubscriberView } from '../../../../protocol/money.ts';
import { ApiFailure, get } from '../../api/http.ts';
import { date, dateTime, money, t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { can } from '../../session.ts';
import { tariffName } from '../../tariffs.ts';
import { StatusBadge } from '../../ui/badge.tsx';
import { ErrorState, FormMessage, Loading } from '../../ui/states.tsx';
import { useSubmitOnce } from '../../ui/submit.ts';
import { AdjustDialog, BlockDialog, TopUpDialog, unblock } from './actions.tsx';
import { Acts } from './acts.tsx';
import { Operations } from './operations.tsx';
import { useAccount } from './use-account.ts';

// The account card (#/accounts/{id}): balance and available live, holds, tariff, operations,
// acts, and the actions the signed-in role may take. Buttons a role may not use are not
// shown at all; the server refuses them anyway.

type Open = null | 'top-up' | 'adjust' | 'block';

export function AccountCard(props: { id: string }): JSX.Element {
  const acc = useAccount(() => props.id);
  const [open, setOpen] = createSignal<Open>(null);
  const [notice, setNotice] = createSignal<string>();
  const unblocking = useSubmitOnce();

  const [subscriber] = createResource(
    () => (can('subscribers.read') ? acc.account()?.subscriberId : undefined),
    (sid) => get<SubscriberView>(`/api/v1/subscribers/${encodeURIComponent(sid)}`),
  );

  const notFound = () => {
    const e = acc.error();
    return e instanceof ApiFailure && e.code === 'account_not_found';
  };

  const doUnblock = async () => {
    const a = acc.account();
    if (!a) return;
    const view = await unblocking.run({ unblock: a.id }, (key) => unblock(a, key));
    if (view) {
      acc.patch(view);
      setNotice(t('ev.Unblocked'));
    }
  };

  return (
    <div class="screen account-card">
      <p>
        <a href={href.accounts}>{t('account.back')}</a>
      </p>
      <Show when={notFound()}>
        <h1 tabindex="-1">{t('account.not_found', { id: props.id })}</h1>
      </Show>
      <Show when={acc.error() && !notFound() && !acc.account()}>
        <h1 tabindex="-1">{t('account.title', { id: props.id })}</h1>
        <ErrorState error={acc.error()} title={t('account.error')} onRetry={acc.reload} />
      </Show>
      <Show when={!acc.error() && !acc.account()}>
        <h1 tabindex="-1">{t('account.title', { id: props.id })}</h1>
        <Loading />
      </Show>
      <Show when={acc.account()}>
        {(a) => (
          <>
            <header class="card-head">
              <div>
                <h1 tabindex="-1">
                  {t('account.title', { id: a().id })} <StatusBadge status={a().status} />
                </h1>
                <Show when={a().blockReason}>
                  {(reason) => (
                    <p class="block-reason">
                      {t(`account.block_reason.${reason()}`)}
                      <Show when={a().blockNote}>: {a().blockNote}</Show>
                    </p>
                  )}
                </Show>
                <Show when={subscriber()}>
                  {(s) => (
                    <p class="subscriber" data-testid="account-subscriber">
                      <strong>{s().name}</strong>
                      <Show when={s().contacts.phones?.length}> · {s().contacts.phones?.join(', ')}</Show>
                      <Show when={s().address}> · {s().address?.text}</Show>
                    </p>
                  )}
                </Show>
              </div>
              <Show when={a().status !== 'closed'}>
                <div class="actions">
                  <Show when={can('money.top_up')}>
                    <button
                      type="button"
                      class="btn btn-primary"
                      data-testid="top-up"
                      onClick={() => setOpen('top-up')}
                    >
                      {t('action.top_up')}
                    </button>
                  </Show>
                  <Show when={can('money.adjust')}>
                    <button type="button" class="btn" data-testid="adjust" onClick={() => setOpen('adjust')}>
                      {t('action.adjust')}
                    </button>
                  </Show>
                  <Show when={can('accounts.block') && a().status === 'active'}>
                    <button
                      type="button"
                      class="btn btn-danger"
                      data-testid="block"
                      onClick={() => setOpen('block')}
                    >
                      {t('action.block')}
                    </button>
                  </Show>
                  <Show
                    when={can('accounts.block') && a().status === 'blocked' && a().blockReason === 'manual'}
                  >
                    <button type="button" class="btn" data-testid="unblock" onClick={doUnblock}>
                      {t('action.unblock')}
                    </button>
                  </Show>
                </div>
              </Show>
            </header>
            <FormMessage error={unblocking.error()} ok={notice()} />

            <dl class="figures">
              <div class="figure figure-main">
                <dt>{t('account.balance')}</dt>
                <dd data-testid="account-balance" class={a().balance < 0 ? 'negative' : ''}>
                  {money(a().balance, a().currency)}
                </dd>
              </div>
              <div class="figure figure-main">
                <dt>{t('account.available')}</dt>
                <dd data-testid="account-available">{money(a().available, a().currency)}</dd>
              </div>
              <div class="figure">
                <dt>{t('account.credit_limit')}</dt>
                <dd>{money(a().creditLimit, a().currency)}</dd>
              </div>
              <div class="figure">
                <dt>{t('account.tariff')}</dt>
                <dd>{a().tariffId ? tariffName(a().tariffId) : t('account.no_tariff')}</dd>
              </div>
              <div class="figure">
                <dt>{t('account.opened')}</dt>
                <dd>{date(a().openedAt)}</dd>
              </div>
            </dl>
            <Show when={a().due}>
              {(due) => (
                <p class="notice notice-alert" role="status">
                  {t('account.due', { amount: money(due().amount), period: due().period })}
                </p>
              )}
            </Show>

            <section class="panel" aria-labelledby="holds-title">
              <h2 id="holds-title">{t('account.holds')}</h2>
              <Show
                when={a().holds.length > 0}
                fallback={<p class="state state-empty">{t('account.holds_empty')}</p>}
              >
                <ul class="holds">
                  <For each={a().holds}>
                    {(hold) => (
                      <li>
                        <strong>{money(hold.amount)}</strong> · {hold.product}
                        <Show when={hold.description}> · {hold.description}</Show> ·{' '}
                        {t('account.hold_expires', { date: dateTime(hold.expiresAt) })}
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </section>

            <Operations accountId={a().id} lastEvent={acc.lastEvent()} />
            <Acts accountId={a().id} />

            <TopUpDialog
              account={a()}
              open={open() === 'top-up'}
              onClose={() => setOpen(null)}
              onDone={(reply, amount) => {
                setOpen(null);
                acc.patch({ balance: reply.balance, available: reply.available, status: reply.status });
                setNotice(t('topup.done', { amount: money(amount) }));
              }}
            />
            <AdjustDialog
              account={a()}
              open={open() === 'adjust'}
              onClose={() => setOpen(null)}
              onDone={(reply) => {
                setOpen(null);
                acc.patch({ balance: reply.balance, available: reply.available });
                setNotice(t('adjust.done'));
              }}
            />
            <BlockDialog
              account={a()}
              open={open() === 'block'}
              onClose={() => setOpen(null)}
              onDone={(view) => {
                setOpen(null);
                acc.patch(view);
                setNotice(t('ev.Blocked'));
              }}
            />
          </>
        )}
      </Show>
    </div>
  );
}
