// Starts Swagger UI for /docs; kept out of the page so the CSP needs no inline script.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    // Some 150 operations: listed expanded, Swagger UI renders only those on screen and the rest
    // as the reader scrolls; tags start closed, with a filter box to find an operation by tag.
    docExpansion: "none",
    filter: true,
  });
});
