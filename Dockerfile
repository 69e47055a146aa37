# chassisd: a static binary on a minimal base.
# The image needs the host's OVS database socket, /run/netns and privileges:
# see hack/deploy/daemonset.yaml.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/chassisd ./cmd/chassisd

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/chassisd /usr/bin/chassisd
ENTRYPOINT ["/usr/bin/chassisd"]
CMD ["unix:/var/run/openvswitch/db.sock"]
