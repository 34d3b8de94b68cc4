# Stand-in for nginx:1.27: Debian bookworm's nginx 1.22, with what deploy/compose.yaml relies on
# from the official image: /etc/nginx/templates/*.template rendered with envsubst into
# /etc/nginx/conf.d at start (only variables that are set are replaced, so nginx's own $host and
# the like stay), conf.d/*.conf included, logs on the container's output, a graceful stop.
ARG BASE_IMAGE=partrack-offline/debian:bookworm
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx-entrypoint.sh /docker-entrypoint.sh
EXPOSE 80 443
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
