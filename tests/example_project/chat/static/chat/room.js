"use strict";

(function () {
  const room = JSON.parse(document.getElementById("room-name").textContent);
  const log = document.getElementById("log");
  const input = document.getElementById("message");
  const button = document.getElementById("send");
  const socket = new WebSocket(
    "ws://" + window.location.host + "/ws/chat/" + encodeURIComponent(room) + "/"
  );

  function append(text) {
    const item = document.createElement("li");
    item.textContent = text;
    log.appendChild(item);
  }

  socket.addEventListener("open", function () {
    document.body.dataset.connected = "1";
  });

  socket.addEventListener("message", function (event) {
    const data = JSON.parse(event.data);
    if (data.type === "message") {
      append(data.user + ": " + data.message);
    } else if (data.type === "announcement") {
      append("* " + data.text);
    }
  });

  socket.addEventListener("close", function () {
    delete document.body.dataset.connected;
  });

  function send() {
    if (input.value === "") {
      return;
    }
    socket.send(JSON.stringify({ message: input.value }));
    input.value = "";
  }

  button.addEventListener("click", send);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      send();
    }
  });
})();
