// The day's routes over street tiles: reads the JSON block the page carries, draws each
// courier's rounds in the colour and dashes of the picture above it. Runs only when
// MAP_TILE_URL is set.
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
    var number = 0;
    courier.rounds.forEach(function (round) {  // each from the branch and back, dashed apart
      var line = [data.depot].concat(round.stops, [data.depot]);
      L.polyline(line, { color: courier.colour, weight: 4, dashArray: round.dash }).addTo(map);
      round.stops.forEach(function (stop) {
        number += 1;
        L.circleMarker(stop, { radius: 5, color: courier.colour, fillOpacity: 0.9 })
          .bindTooltip(courier.name + " " + number).addTo(map);
        bounds.extend(stop);
      });
    });
  });
  map.fitBounds(bounds, { padding: [16, 16] });
}());
