import type { Route } from './http.ts';

export const tokenRoutes: Route[] = [];
