#!/usr/bin/env bash
# Packs sluice as npm would publish it, installs the tarball into a scratch project and imports every
# entry point with `import` and `require`, then runs publint. Catches broken exports maps and missing files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball:"
tar -tzf "$work/$tarball" | sed 's/^/  /'
if tar -tzf "$work/$tarball" | grep -Eq '^package/(src|test|bench|adapters|demo)/'; then
  echo "the tarball ships sources or tests; check package.json files" >&2
  exit 1
fi
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$work/$tarball"
for entry in $(node -e "const e=require('$root/package.json').exports;console.log(Object.keys(e).filter(k=>k!=='./package.json').map(k=>k==='.'?'sluice':'sluice/'+k.slice(2)).join(' '))"); do
  node --input-type=module -e "import * as m from '$entry'; if (Object.keys(m).length === 0) throw new Error('no exports in $entry (import)'); console.log('import  $entry ok:', Object.keys(m).sort().join(', '))"
  node -e "const m = require('$entry'); if (Object.keys(m).length === 0) throw new Error('no exports in $entry (require)'); console.log('require $entry ok:', Object.keys(m).sort().join(', '))"
done
node --input-type=module -e "import { RateLimiter } from 'sluice'; const l = new RateLimiter({ capacity: 2, refillRate: 1 }); const d = await l.consume('k'); if (!d.allowed || d.remaining !== 1) throw new Error('bad decision'); console.log('ESM decision ok')"
node -e "const { RateLimiter } = require('sluice'); const l = new RateLimiter({ capacity: 2, refillRate: 1 }); const d = l.consumeSync('k'); if (!d.allowed || d.remaining !== 1) throw new Error('bad decision'); console.log('CJS decision ok')"
cd "$root"
npx publint --strict
