import type { Route } from './http.ts';

export const riskProvidersRoutes: Route[] = [];
