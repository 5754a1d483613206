#!/usr/bin/env bash
# Every relative link in README.md and docs/**/*.md must name a file in the tree, and every
# #anchor a heading of that file (GitHub's slugs). Prints each bad link; exits 1 if any.
# Usage: docs/check-links.sh [REPOSITORY-ROOT]  (default: the current directory)
set -uo pipefail
cd "${1:-.}"
slugs() { # the GitHub anchors of a markdown file's headings
    grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//; s/[[:space:]]+$//' | tr 'A-Z' 'a-z' |
        sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}
bad=0; n=0
while IFS= read -r f; do
    dir=$(dirname "$f")
    # inline links [text](target), ignoring those inside `code` and fenced blocks
    while IFS= read -r target; do
        n=$((n + 1))
        case "$target" in
            http://*|https://*|mailto:*) echo "$f: leaves the repository: $target"; bad=1; continue ;;
        esac
        path=${target%%#*}; anchor=""
        [[ "$target" == *#* ]] && anchor=${target#*#}
        if [ -z "$path" ]; then file=$f; else file=$dir/$path; fi
        if [ ! -e "$file" ]; then echo "$f: no such file: $target"; bad=1; continue; fi
        if [ -n "$anchor" ] && ! slugs "$file" | grep -qxF "$anchor"; then
            echo "$f: no heading #$anchor in $file"; bad=1
        fi
        real=$(realpath -m "$file"); root=$(realpath .)
        [[ "$real" == "$root"/* ]] || { echo "$f: leaves the repository: $target"; bad=1; }
    done < <(awk '/^```/{f=!f; next} !f' "$f" | sed -E 's/`[^`]*`//g' | grep -oE '\]\([^)[:space:]]+\)' | sed -E 's/^\]\(//; s/\)$//')
done < <(ls README.md; find docs -name '*.md' | sort)
echo "$n relative links checked"
exit $bad
