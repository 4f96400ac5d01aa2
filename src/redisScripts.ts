import { createHash } from 'node:crypto';

/**
 * The Redis side of RedisStore: one script that decides a batch of calls, in order, atomically.
 * It is `applyCall` from tokenBucket.ts written again in Lua, operation for operation, so that both
 * stores make bit-identical decisions (Lua numbers are IEEE doubles like JS numbers).
 *
 * ARGV[1]  '1': every call is decided at Redis' own clock (TIME, ms); '0': each call brings its `now`.
 * ARGV[2]  the index in ARGV where the policies start; or 'S' when every call of the batch is the common
 *   one (policy 1, cost 1, no slack, Redis' clock): then no per-call arguments follow, KEYS says it all.
 * then per call, either one argument: the policy index p (1-based), for the common call of cost 1,
 *   no slack, at Redis' clock; or four: -p, cost, slackMs, now.
 * then the policies: per policy, the band count n, then n × (scale, emission, tolerance)
 * KEYS     every call's band keys, call after call (n keys per call, in band order).
 *
 * Reply: per call, allowed (1|0) then its n TATs in ms, and last the `now` of the batch. A whole TAT is
 * an integer reply; a fractional one a '%.17g' string (a Lua number reply would be truncated, and
 * tostring keeps only 14 digits). TATs are stored as numbers (Redis writes them with a round-trip exact
 * conversion), one value per key and band, with a PX of the time until that band is full again, so idle
 * keys vanish; a band that is full after a call is deleted.
 */
export const DECIDE_BATCH_SCRIPT = `
local serverTime = ARGV[1] == '1'
local simple = ARGV[2] == 'S'
local policiesAt = 3
if not simple then policiesAt = tonumber(ARGV[2]) end
local EPSILON = math.ldexp(1, -50)
local floor = math.floor
local format = string.format
local call = redis.call

-- toUnits from tokenBucket.ts: ms x scale, snapped back onto the integer it was computed from.
local function toUnits(ms, scale)
  local units = ms * scale
  local rounded = floor(units)
  if units - rounded >= 0.5 then rounded = rounded + 1 end
  local diff = units - rounded
  if diff < 0 then diff = -diff end
  local size = units
  if size < 0 then size = -size end
  if diff <= size * EPSILON then return rounded end
  return units
end

-- A TAT for the reply: exact, as an integer reply when whole.
local function exact(ms)
  if ms == floor(ms) and ms < 9007199254740992 and ms > -9007199254740992 then return ms end
  return format('%.17g', ms)
end

local policies = {}
local a = policiesAt
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
  local t = call('TIME')
  now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
end

local out = {}
local o = 1
local k = 0
local keyCount = #KEYS

-- The common batch (one one-band limiter, every call of cost 1): the loop below, without its generality.
if simple and #policies[1] == 1 then
  local band = policies[1][1]
  local scale = band[1]
  local emission = band[2]
  local tolerance = band[3]
  local nowUnits = now * scale
  local nowReply = exact(now)
  for k = 1, keyCount do
    local key = KEYS[k]
    local stored = call('GET', key)
    local tat = nowUnits
    if stored then
      tat = toUnits(tonumber(stored), scale)
      if tat < nowUnits then tat = nowUnits end
    end
    tat = tat + emission
    if tat - nowUnits > tolerance then
      out[o] = 0
      out[o + 1] = stored or nowReply
    else
      local ms = tat / scale
      out[o] = 1
      out[o + 1] = exact(ms)
      local ttl = math.ceil(ms - now)
      if ttl > 0 then
        call('SET', key, ms, 'PX', ttl)
      else
        call('DEL', key)
      end
    end
    o = o + 2
  end
  out[o] = nowReply
  return out
end

local units = {}
local raw = {}
a = 3
while (simple and k < keyCount) or (not simple and a < policiesAt) do
  local index = 1
  local cost = 1
  local slack = 0
  if not simple then index = tonumber(ARGV[a]) end
  if index > 0 then
    a = a + 1
  else
    index = -index
    cost = tonumber(ARGV[a + 1])
    slack = tonumber(ARGV[a + 2])
    if not serverTime then now = tonumber(ARGV[a + 3]) end
    a = a + 4
  end
  local bands = policies[index]
  local n = #bands
  local allowed = 1
  for b = 1, n do
    local band = bands[b]
    local scale = band[1]
    local nowUnits = now * scale
    local stored = call('GET', KEYS[k + b])
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
      out[o + b] = raw[b] or exact(now)
    else
      local tat = units[b] + cost * band[2]
      if tat < nowUnits then tat = nowUnits end
      local ms = tat / scale
      out[o + b] = exact(ms)
      if cost ~= 0 then
        local ttl = math.ceil(ms - now)
        if ttl > 0 then
          call('SET', KEYS[k + b], ms, 'PX', ttl)
        else
          call('DEL', KEYS[k + b])
        end
      end
    end
  end
  o = o + 1 + n
  k = k + n
end
out[o] = exact(now)
return out
`;

/** SHA1 of the script, for EVALSHA. */
export const DECIDE_BATCH_SHA = createHash('sha1').update(DECIDE_BATCH_SCRIPT).digest('hex');
