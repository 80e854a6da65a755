// Progressive enhancement: offer the phone's location; without it the form still works by hand.
(function () {
  "use strict";
  var button = document.getElementById("geo-button");
  var status = document.getElementById("geo-status");
  if (!button || !status || !("geolocation" in navigator)) return;
  var form = button.form;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-locating");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.namedItem("lat").value = position.coords.latitude.toFixed(6);
      form.elements.namedItem("lon").value = position.coords.longitude.toFixed(6);
      form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-failed");
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
