# SPDX-License-Identifier: MIT
# The tools image: Debian 12 with the build and run dependencies, the
# programs built from this checkout. compose.yaml runs pipeline.sh in it.
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc make pkg-config libc6-dev libpq-dev libcsv-dev libyaml-dev libpcre2-dev \
      postgresql-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /elt
COPY . .
RUN make clean && make all
# pipeline.sh uses the programs built above as they are, and installs
# nothing at run time: the server is the postgres service's.
ENV ELT_BIN=/elt/bin
CMD ["./pipeline.sh"]
