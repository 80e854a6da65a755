// The day's routes over street tiles: reads the JSON block the page carries, draws each
// courier's line in the colour of the picture above it. Runs only when MAP_TILE_URL is set.
(function () {
  "use strict";
  var source = document.getElementById("route-map-data");
  var box = document.getElementById("route-map");
  if (!source || !box || !window.L) { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(box, { scrollWheelZoom: false });
  L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  var bounds = L.latLngBounds([data.depot]);
  L.circleMarker(data.depot, { radius: 7, color: "#222222", fillOpacity: 1 }).addTo(map);
  data.couriers.forEach(function (courier) {
    if (!courier.stops.length) { return; }
    var line = [data.depot].concat(courier.stops, [data.depot]);
    L.polyline(line, { color: courier.colour, weight: 4 }).addTo(map);
    courier.stops.forEach(function (stop, n) {
      L.circleMarker(stop, { radius: 5, color: courier.colour, fillOpacity: 0.9 })
        .bindTooltip(courier.name + " " + (n + 1)).addTo(map);
      bounds.extend(stop);
    });
  });
  map.fitBounds(bounds, { padding: [16, 16] });
}());
