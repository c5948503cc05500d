// Starts Swagger UI on /docs with the OpenAPI URL the page names (a file, so the page's CSP needs no
// inline script). No validator badge: it would load an image from the validator's site.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
  });
});
