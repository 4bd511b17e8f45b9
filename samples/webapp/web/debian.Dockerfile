# The web app on the Debian base image that prepare.sh makes (nodejs installed by debootstrap).
ARG BASE_IMAGE=tscompose-samples/webapp-debian:bookworm
FROM ${BASE_IMAGE}
WORKDIR /app
COPY server.js .
USER www-data
CMD ["node", "server.js"]
