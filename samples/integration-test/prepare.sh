#!/bin/sh
# Puts a static busybox into this sample's build context (see samples/hello/prepare.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../hello/prepare.sh" "$here/image"
echo "samples/integration-test is ready: node --import tsx --test $here/kv.test.ts"
