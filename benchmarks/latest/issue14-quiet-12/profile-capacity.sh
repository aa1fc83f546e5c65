#!/bin/bash
# perf the silo and the relay in their capacity windows (rounds 1: platform first, then relay)
cd /work/main
NAME=${1:-cap-siloperf}; shift
dotnet tools/Hotline.LoadGen/bin/Release/net10.0/Hotline.LoadGen.dll --spawn-silo --no-live --out /tmp/s12/runs --name $NAME --scenario capacity --workers 300 --lawyers 60 --capacity 5 --senders 200 --duration 30 --warmup 30 --rounds 1 \
  --silo-env DOTNET_PerfMapEnabled=1,DOTNET_EnableWriteXorExecute=0 --relay-env DOTNET_PerfMapEnabled=1,DOTNET_EnableWriteXorExecute=0 "$@" > /tmp/s12/$NAME.log 2>&1 &
LG=$!
until grep -q "platform: closed-loop messages" /tmp/s12/$NAME.log; do sleep 1; done
SILO=$(pgrep -f "Hotline.Silo.dll" | head -1)
sleep 8
perf record -F 999 -g -p $SILO -o /tmp/s12/$NAME-silo.data -- sleep 12 2>/dev/null
until grep -q "relay: closed-loop messages" /tmp/s12/$NAME.log; do sleep 1; done
RELAY=$(pgrep -f "Hotline.Relay.dll" | head -1)
sleep 8
perf record -F 999 -g -p $RELAY -o /tmp/s12/$NAME-relay.data -- sleep 12 2>/dev/null
wait $LG
echo "done $NAME $(date -u +%T)" >> /tmp/s12/run.log
