# Sourced by training/train.sh and training/train-describer.sh.
# generate SEED COUNT DIR [vsearch generate options...]: a catalog, skipped when DIR already holds the same one.
generate() {
  local seed=$1 count=$2 dir=$3; shift 3
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$seed $count $*" ]; then echo "catalog $dir is up to date"; return; fi
  npx vsearch generate --seed "$seed" --count "$count" --out "$dir" "$@"
  echo "$seed $count $*" > "$dir/.complete"
}
