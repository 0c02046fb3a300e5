/** HubSpot's v3 contacts API, under the base URL. */
export const CONTACTS = '/crm/v3/objects/contacts';
export const TOKEN_INFO = '/oauth/v2/private-apps/get/access-token-info';
