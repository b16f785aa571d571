import type { Route } from './http.ts';

export const systemLogRoutes: Route[] = [];
