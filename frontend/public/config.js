// Runtime settings of the Crypto Tracker web app. Deployments replace this file
// (in Kubernetes from the frontend-config ConfigMap); no rebuild is needed.
//   apiBaseUrl         origin the /<svc>-service/api routes live on ("" = this origin)
//   quote              quote currency of the markets page: USD, EUR or BTC
//   refreshLeadSeconds how long before the access token expires it is renewed
window.__CT_CONFIG__ = {
  apiBaseUrl: '',
  quote: 'USD',
  refreshLeadSeconds: 60,
};
