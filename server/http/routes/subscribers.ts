import { TypeCompiler } from '@sinclair/typebox/compiler';
import { subscriberRefId, subscriberRefKind } from '../../../actors/subscriber/external.ts';
import {
  type RegisterReply,
  type RegisterSubscriber,
  subscriberKind,
  subscriberView,
} from '../../../actors/subscriber/subscriber.ts';
import { checkSubscriber } from '../../../actors/subscriber/validate.ts';
import { ApiError, errors } from '../../../protocol/errors.ts';
import {
  CreateSubscriberBody,
  ExternalSubscriberBody,
  ExternalSubscriberParams,
  Id,
  SubscriberView,
} from '../../../protocol/money.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { askOptions, causeOf, nextNumber, refusal } from './context.ts';

// Subscribers (абоненты). Their ids are numbers too, `S1`, `S2`…, from the `subscribers`
// sequence. Another service that keeps its own ids uses PUT …/by-external/{source}/{id}:
// create-or-return, so it never has to store ours.

const ID = new RegExp(Id.pattern as string);
const paramsCheck = TypeCompiler.Compile(ExternalSubscriberParams);

const subscriberNotFound = (id: string) =>
  new ApiError(404, 'subscriber_not_found', `there is no subscriber ${id}`);

export const subscriberNumber = (n: number) => `S${n}`;

export function subscriberRoutes({ system }: AbonentServices): Route[] {
  /** The domain's own checks (a company needs its INN), run before a number is taken. */
  function check(subscriber: RegisterSubscriber['subscriber']): void {
    const bad = checkSubscriber(subscriber);
    if (bad) throw bad.reject;
  }

  return [
    route({
      method: 'POST',
      path: '/api/v1/subscribers',
      summary: 'Register a subscriber (a person or a company)',
      description: 'With an Idempotency-Key a retried request gets the same subscriber.',
      tags: ['subscribers'],
      auth: needs('subscribers.write'),
      idempotency: 'optional',
      body: CreateSubscriberBody,
      responses: {
        201: SubscriberView,
        400: refusal('validation_failed, tax_id_required (a company needs taxId)'),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        check(req.body);
        const command: RegisterSubscriber = { type: 'Register', subscriber: req.body };
        const options = askOptions(req);
        const id = subscriberNumber(await nextNumber(system, 'subscribers', options, command));
        const { subscriber } = (await system.ask(subscriberKind, id, command, options)) as RegisterReply;
        return { status: 201, body: subscriber, headers: { Location: `/api/v1/subscribers/${id}` } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/subscribers/:id',
      summary: 'A subscriber with its contacts and accounts',
      tags: ['subscribers'],
      auth: needs('subscribers.read'),
      responses: { 200: SubscriberView, 404: refusal('subscriber_not_found') },
      handler: async (req) => {
        const id = req.params.id ?? '';
        if (id.length > 128 || !ID.test(id)) throw subscriberNotFound(id.slice(0, 128));
        const view = await system.read(subscriberKind, id, (s) => (s.exists ? subscriberView(s) : null));
        if (!view) {
          system.passivate(subscriberKind.name, id);
          throw subscriberNotFound(id);
        }
        return { status: 200, body: view };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/subscribers/by-external/:source/:externalId',
      summary: 'Create-or-return the subscriber another service knows as (source, externalId)',
      description:
        '201 with the new subscriber the first time; 200 with the subscriber as it is every later time (the body is then not applied). Concurrent first calls make one subscriber.',
      tags: ['subscribers'],
      auth: needs('subscribers.write'),
      body: ExternalSubscriberBody,
      responses: {
        200: SubscriberView,
        201: SubscriberView,
        400: refusal('validation_failed (also of source and externalId), tax_id_required'),
      },
      handler: async (req) => {
        const external = { source: req.params.source ?? '', externalId: req.params.externalId ?? '' };
        if (!paramsCheck.Check(external)) {
          const details = [...paramsCheck.Errors(external)].map((e) => ({
            path: e.path,
            message: e.message,
          }));
          throw errors.validation('source or externalId is not valid', details);
        }
        check(req.body);
        const cause = causeOf(req);
        const refId = subscriberRefId(external.source, external.externalId);
        // A known pair takes no number; a new one takes one, used only if its claim wins.
        let subscriberId = await system.read(subscriberRefKind, refId, (s) => s.subscriberId);
        if (subscriberId === null) {
          const fresh = subscriberNumber(await nextNumber(system, 'subscribers', { cause }, null));
          ({ subscriberId } = await system.ask(
            subscriberRefKind,
            refId,
            { type: 'Claim', subscriberId: fresh },
            { cause },
          ));
        }
        // Always sent, also for a known pair: it completes a registration a crash cut short.
        const { subscriber, created } = (await system.ask(
          subscriberKind,
          subscriberId,
          { type: 'Register', subscriber: req.body, external },
          { cause },
        )) as RegisterReply;
        return {
          status: created ? 201 : 200,
          body: subscriber,
          headers: { Location: `/api/v1/subscribers/${subscriberId}` },
        };
      },
    }),
  ];
}
