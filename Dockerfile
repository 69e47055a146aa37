# chassisd: a static binary on a minimal base. The image carries no OVS
# tools: `chassisd ctl` stands in for ovn-appctl and `chassisd configure`
# for ovs-vsctl's external_ids writes. It needs the host's OVS database
# socket, /run/netns and privileges: see hack/deploy/daemonset.yaml.
# hack/deploy/build-image-root.sh builds and checks the same file tree
# without a container engine.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/usr/bin/chassisd ./cmd/chassisd \
 && ln -s chassisd /out/usr/bin/ovn-controller

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/usr/bin/ /usr/bin/
ENTRYPOINT ["/usr/bin/chassisd"]
CMD ["--pidfile", "-vconsole:info", "-vsyslog:off"]
