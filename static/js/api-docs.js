/* /api/docs: Swagger UI (static/vendor/swagger-ui-dist-*) renders the OpenAPI document named by
   data-openapi-url. A file of its own, as the CSP allows no inline script. */
(function () {
  "use strict";
  var root = document.getElementById("api-docs");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    deepLinking: true,            // #/Customers/list_customers opens that operation
    docExpansion: "list",
    defaultModelsExpandDepth: 0,  // the schemas stay folded below the operations
    displayRequestDuration: true,
    filter: false,
    tryItOutEnabled: false,
    persistAuthorization: false,  // a token typed into Authorize is never stored in the browser
    validatorUrl: null            // no badge from validator.swagger.io: nothing leaves the app
  });
})();
