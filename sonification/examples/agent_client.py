r"""A sequencer of your own driving the beat agent (python-osc, no language).

Start the agent, then this client (it plays the tutorial's kick and teaches
the snare on the off-beats for --bars bars, then asks for predictions):

  bazel run //sonification:live -- --agent --osc_port=9000
  .venv/bin/python sonification/examples/agent_client.py --port=9000

Each tick it sends ``/agent/tick KICK SNARE`` (SNARE -1 when only asking)
and reads ``/agent/prediction ACTION TICK`` from the same socket.
"""

import argparse
import socket
import time

from pythonosc import osc_message
from pythonosc import osc_message_builder

KICK = [1, 0, 0, 0, 1, 0, 0, 0]   # kick*2
SNARE = [0, 0, 1, 0, 0, 0, 1, 0]  # snare*2+0.5: what the agent should learn


def message(address, *args):
  builder = osc_message_builder.OscMessageBuilder(address=address)
  for arg in args:
    builder.add_arg(arg)
  return builder.build().dgram


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--host', default='127.0.0.1')
  parser.add_argument('--port', type=int, default=9000)
  parser.add_argument('--bars', type=int, default=60)
  parser.add_argument('--tick_s', type=float, default=0.02)
  args = parser.parse_args()
  agent = (args.host, args.port)
  sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  sock.settimeout(5.0)

  def tick(kick, snare):
    sock.sendto(message('/agent/tick', kick, snare), agent)
    while True:  # skip /error replies, answer with the prediction.
      reply = osc_message.OscMessage(sock.recvfrom(65536)[0])
      if reply.address == '/agent/prediction':
        return reply.params[0]
      print('agent:', reply.address, *reply.params)

  # Until the agent is built (seconds) predictions are -1.
  while tick(KICK[0], SNARE[0]) == -1:
    time.sleep(0.5)
  for _ in range(args.bars * 8 - 1):  # teach.
    step = _ % 8
    tick(KICK[(step + 1) % 8], SNARE[(step + 1) % 8])
    time.sleep(args.tick_s)
  sock.sendto(message('/agent/mode', 'predict'), agent)
  time.sleep(0.2)
  played = [tick(KICK[step], -1) for step in range(8)]
  print('written snare  ', SNARE)
  print('agent predicts ', played)


if __name__ == '__main__':
  main()
