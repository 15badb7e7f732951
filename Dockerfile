# syntax=docker/dockerfile:1
# Build stage: a static binary (no cgo), plus the CA bundle and an empty data directory.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sailshim ./cmd/sailshim \
 && mkdir -p /out/data

# Run stage: nothing but the binary, running as an unprivileged user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/sailshim /sailshim
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENV SAILSHIM_LISTEN=0.0.0.0:8080 SAILSHIM_DATA_DIR=/data
ENTRYPOINT ["/sailshim"]
CMD ["serve"]
