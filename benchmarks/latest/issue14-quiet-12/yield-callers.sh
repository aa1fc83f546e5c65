#!/bin/bash
# where the load generator's sched_yield calls come from, in the platform's capacity window (rounds 1)
cd /work/main
NAME=cap-yield
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet tools/Hotline.LoadGen/bin/Release/net10.0/Hotline.LoadGen.dll --spawn-silo --no-live --out /tmp/s12/runs --name $NAME --scenario capacity --workers 300 --lawyers 60 --capacity 5 --senders 200 --duration 20 --warmup 20 --rounds 1 > /tmp/s12/$NAME.log 2>&1 &
LG=$!
sleep 2
LGP=$(pgrep -f "Hotline.LoadGen.dll --spawn" | head -1)
until grep -q "platform: closed-loop messages" /tmp/s12/$NAME.log; do sleep 1; done
sleep 5
perf record -e syscalls:sys_enter_sched_yield -g -p $LGP -o /tmp/s12/yield-lg.data -- sleep 3 2>/dev/null
SILO=$(pgrep -f "^dotnet [^ ]*Hotline.Silo.dll" | head -1)
perf record -e syscalls:sys_enter_sched_yield -g -p $SILO -o /tmp/s12/yield-silo.data -- sleep 3 2>/dev/null
kill $LG
echo "done $NAME $(date -u +%T)" >> /tmp/s12/run.log
