import type { Route } from './http.ts';

export const appsRoutes: Route[] = [];
