# linewatch in a small image, running as an unprivileged user.
#   docker build -t linewatch .
#   docker run -v ./linewatch.toml:/etc/linewatch/linewatch.toml:ro -v linewatch-data:/var/lib/linewatch \
#              -e MODEM_PASSWORD -p 9433:9433 linewatch
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p linewatch

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/linewatch --create-home linewatch
COPY --from=build /src/target/release/linewatch /usr/bin/linewatch
COPY contrib/linewatch.example.toml /etc/linewatch/linewatch.toml
USER linewatch
VOLUME /var/lib/linewatch
EXPOSE 9433
ENTRYPOINT ["/usr/bin/linewatch", "--config", "/etc/linewatch/linewatch.toml", "--data-dir", "/var/lib/linewatch"]
CMD ["run"]
