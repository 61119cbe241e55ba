import { lazyHandler } from '../entry-points.ts';
import { errorResponse, type ApiLambda } from './api-handler.ts';

/**
 * One Lambda for several routes of one concern (the customer's account,
 * the back-office): API Gateway puts the route key in each event, and the
 * route's own handler answers. A key this function does not serve is a
 * wiring mistake, answered 404 like an unknown route.
 */
export function routeDispatcher<D>(deps: () => D, make: (deps: D) => Readonly<Record<string, ApiLambda>>): ApiLambda {
  return lazyHandler(() => {
    const handlers = make(deps());
    return (event, context) => {
      const handler = Object.hasOwn(handlers, event.routeKey) ? handlers[event.routeKey] : undefined;
      return handler ? handler(event, context) : Promise.resolve(errorResponse(404, 'route_not_found', `No route for ${event.routeKey}`));
    };
  });
}
