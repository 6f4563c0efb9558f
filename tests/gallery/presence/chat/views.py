from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect

ROOM_PAGE = """<!doctype html>
<title>{room}</title>
<ul id="log"></ul>
<input id="msg" autofocus> <small>type /quit to leave</small>
<script>
const log = document.getElementById("log");
const ws = new WebSocket(`ws://${{location.host}}/ws/rooms/{room}/`);
ws.onmessage = (e) => {{
  const data = JSON.parse(e.data);
  const li = document.createElement("li");
  if (data.type === "user_join") li.textContent = `${{data.user}} joined`;
  else if (data.type === "user_leave") li.textContent = `${{data.user}} left`;
  else if (data.type === "chat_message") li.textContent = `${{data.user}}: ${{data.message}}`;
  else li.textContent = data.message;
  log.append(li);
}};
document.getElementById("msg").onkeyup = (e) => {{
  if (e.key === "Enter") {{
    ws.send(JSON.stringify({{message: e.target.value}}));
    e.target.value = "";
  }}
}};
</script>
"""


def index(request):
    return redirect("room", room_name="lobby")


@login_required
def room(request, room_name):
    return HttpResponse(ROOM_PAGE.format(room=room_name))
