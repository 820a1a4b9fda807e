-- wrk script for `hipscut serve`: each request a 512×512 PNG of a different 8° field within 3°
-- of the Galactic Centre (the FermiColor sample's tiles), served as `fermi`.
-- wrk -t2 -c200 -d30s --latency -s benches/wrk/fields.lua http://127.0.0.1:PORT
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)

request = function()
  local ra = 266.4 + (math.random() - 0.5) * 6
  local dec = -28.9 + (math.random() - 0.5) * 6
  local path = string.format(
    "/hips2fits?hips=fermi&ra=%.5f&dec=%.5f&fov=8&width=512&height=512&format=png", ra, dec)
  return wrk.format("GET", path)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
