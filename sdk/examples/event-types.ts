/**
 * Event type -> data type, in the shape `npm run schemas -- types --tenant <T>` writes from
 * the tenant's registered schemas (written by hand here, for the examples and the type
 * test). `new EventFlow<EventTypes>(...)` checks every tracked event against it.
 */
export interface EventTypes {
  purchase: { amount: number; currency?: string };
  page_view: { url: string; referrer?: string };
  "user.signup": { plan: "free" | "pro" };
}
