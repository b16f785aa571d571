import type { Route } from './http.ts';

export const clientsRoutes: Route[] = [];
