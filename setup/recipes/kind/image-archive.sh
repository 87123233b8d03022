#!/usr/bin/env bash
# Writes a one-layer docker-archive of the files under STAGING_DIR (appended to a copy of BASE_LAYER_TAR when given)
# with the image config CONFIG_JSON, tagged REF: the format `ctr images import` and `kind load image-archive` read.
# Made without any registry or image builder. Usage: image-archive.sh REF STAGING_DIR CONFIG_JSON OUT [BASE_LAYER_TAR]
set -euo pipefail
ref="$1" staging="$2" config="$3" out="$4" base="${5:-}"
sha() { sha256sum | cut -d' ' -f1; }
dir="$(mktemp -d "$(dirname "$out")/archive.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
if [ -n "$base" ]; then
  cp "$base" "$dir/layer.tar"
  (cd "$staging" && find . ! -type d -print0 | LC_ALL=C sort -z \
    | xargs -0 tar -rf "$dir/layer.tar" --numeric-owner --owner=0 --group=0)
else
  tar -C "$staging" --numeric-owner --owner=0 --group=0 -cf "$dir/layer.tar" .
fi
diff="$(sha <"$dir/layer.tar")"
mkdir "$dir/$diff" && mv "$dir/layer.tar" "$dir/$diff/layer.tar"
jq -n --arg arch "$(dpkg --print-architecture)" --argjson config "$config" --arg diff "sha256:$diff" \
  '{architecture: $arch, os: "linux", config: $config, rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created_by: "flink-checkpointer setup (setup/recipes/kind/image-archive.sh)"}]}' >"$dir/config.json"
config_digest="$(sha <"$dir/config.json")"
mv "$dir/config.json" "$dir/$config_digest.json"
jq -n --arg config "$config_digest.json" --arg ref "$ref" --arg layer "$diff/layer.tar" \
  '[{Config: $config, RepoTags: [$ref], Layers: [$layer]}]' >"$dir/manifest.json"
tar -C "$dir" -cf "$out.partial" manifest.json "$config_digest.json" "$diff"
mv "$out.partial" "$out"
