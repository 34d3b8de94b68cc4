#!/bin/sh
# The official nginx image's template step (20-envsubst-on-templates.sh), reduced: each
# /etc/nginx/templates/NAME.template becomes /etc/nginx/conf.d/NAME with the set variables filled.
set -eu
defined=$(printf '${%s} ' $(env | cut -d= -f1 | grep -E '^[A-Za-z_][A-Za-z0-9_]*$'))
for template in /etc/nginx/templates/*.template; do
    [ -f "$template" ] || continue
    name=$(basename "$template" .template)
    envsubst "$defined" <"$template" >"/etc/nginx/conf.d/$name"
    echo "partrack-offline nginx: rendered $template to /etc/nginx/conf.d/$name"
done
exec "$@"
