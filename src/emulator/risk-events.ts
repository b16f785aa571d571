import type { Route } from './http.ts';

export const riskEventsRoutes: Route[] = [];
