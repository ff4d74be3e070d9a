#!/bin/sh
# check_generated.sh TAXONOMY_DIR REFERENCE_DIR OUTPUT
taxonomy="$1" reference="$2" output="$3"
if [ ! -f "$reference/isic-diagnosis-hierarchy.txt" ] || ! command -v python3 >/dev/null; then
  echo "SKIP: no $reference/isic-diagnosis-hierarchy.txt or python3"
  exit 77
fi
python3 "$taxonomy/tools/build_taxonomy.py" "$reference/isic-diagnosis-hierarchy.txt" "$output" || exit 1
if ! cmp -s "$output" "$taxonomy/dermreader-taxonomy.json"; then
  echo "taxonomy/dermreader-taxonomy.json differs from the generator's output; rerun"
  echo "  python3 taxonomy/tools/build_taxonomy.py ../shared/reference/isic-diagnosis-hierarchy.txt taxonomy/dermreader-taxonomy.json"
  diff "$output" "$taxonomy/dermreader-taxonomy.json" | head -20
  exit 1
fi
echo "taxonomy file matches the generator"
