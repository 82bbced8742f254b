/** Sent as User-Agent to API servers, so audit logs name the tool. */
export const USER_AGENT = 'prs-manager/0.1.0';
