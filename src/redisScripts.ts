import { createHash } from 'node:crypto';

/**
 * The Redis side of RedisStore: one script that decides a batch of calls, in order, atomically.
 * It is `applyCall` from tokenBucket.ts written again in Lua, operation for operation, so that both
 * stores make bit-identical decisions (Lua numbers are IEEE doubles like JS numbers).
 *
 * ARGV[1]  '1': every call is decided at Redis' own clock (TIME, ms); '0': each call brings its `now`.
 * ARGV[2]  C, the number of calls.
 * then C × (policy index (1-based), cost, slackMs, now)
 * then the policies: per policy, the band count n, then n × (scale, emission, tolerance)
 * KEYS     every call's band keys, call after call (n keys per call, in band order).
 *
 * Reply: { now, then per call: allowed (1|0) followed by its n TATs in ms }, numbers as strings in
 * '%.17g' (Redis would truncate a Lua number to an integer, and Lua's tostring keeps only 14 digits).
 * TATs are stored the same way, one string per key and band, with a PX of the time until that band
 * is full again, so idle keys vanish; a band that is full after a call is deleted.
 */
export const DECIDE_BATCH_SCRIPT = `
local serverTime = ARGV[1] == '1'
local calls = tonumber(ARGV[2])
local EPSILON = math.ldexp(1, -50)

-- toUnits from tokenBucket.ts: ms x scale, snapped back onto the integer it was computed from.
local function toUnits(ms, scale)
  local units = ms * scale
  local rounded = math.floor(units)
  if units - rounded >= 0.5 then rounded = rounded + 1 end
  local diff = units - rounded
  if diff < 0 then diff = -diff end
  local size = units
  if size < 0 then size = -size end
  if diff <= size * EPSILON then return rounded end
  return units
end

local policies = {}
local a = 3 + 4 * calls
local p = 1
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local bands = {}
  for b = 1, n do
    bands[b] = { tonumber(ARGV[a + 3 * b - 2]), tonumber(ARGV[a + 3 * b - 1]), tonumber(ARGV[a + 3 * b]) }
  end
  policies[p] = bands
  p = p + 1
  a = a + 1 + 3 * n
end

local now = 0
if serverTime then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local out = { string.format('%.17g', now) }
local o = 2
local k = 0
local units = {}
local raw = {}
for c = 0, calls - 1 do
  local bands = policies[tonumber(ARGV[3 + 4 * c])]
  local cost = tonumber(ARGV[4 + 4 * c])
  local slack = tonumber(ARGV[5 + 4 * c])
  if not serverTime then now = tonumber(ARGV[6 + 4 * c]) end
  local n = #bands
  local allowed = 1
  for b = 1, n do
    local band = bands[b]
    local scale = band[1]
    local nowUnits = now * scale
    local stored = redis.call('GET', KEYS[k + b])
    local tat = nowUnits
    raw[b] = stored
    if stored then
      tat = toUnits(tonumber(stored), scale)
      if tat < nowUnits then tat = nowUnits end
    end
    units[b] = tat
    if tat + cost * band[2] - nowUnits > band[3] + slack * scale then allowed = 0 end
  end
  out[o] = allowed
  for b = 1, n do
    local band = bands[b]
    local scale = band[1]
    local nowUnits = now * scale
    if allowed == 0 then
      -- Unchanged on a denial: what is stored (or now, for a full bucket), as memory does.
      out[o + b] = raw[b] or string.format('%.17g', now)
    else
      local tat = units[b] + cost * band[2]
      if tat < nowUnits then tat = nowUnits end
      local ms = tat / scale
      out[o + b] = string.format('%.17g', ms)
      if cost ~= 0 then
        local ttl = math.ceil(ms - now)
        if ttl > 0 then
          redis.call('SET', KEYS[k + b], out[o + b], 'PX', ttl)
        else
          redis.call('DEL', KEYS[k + b])
        end
      end
    end
  end
  o = o + 1 + n
  k = k + n
end
return out
`;

/** SHA1 of the script, for EVALSHA. */
export const DECIDE_BATCH_SHA = createHash('sha1').update(DECIDE_BATCH_SCRIPT).digest('hex');
