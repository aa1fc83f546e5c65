#!/bin/bash
cd /work/main
NAME=cap-sysc
EV=syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_pwrite64,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_sched_yield,syscalls:sys_enter_pread64,syscalls:sys_enter_sendmsg,syscalls:sys_enter_fcntl,context-switches,cpu-migrations
dotnet tools/Hotline.LoadGen/bin/Release/net10.0/Hotline.LoadGen.dll --spawn-silo --no-live --out /tmp/s12/runs --name $NAME --scenario capacity --workers 300 --lawyers 60 --capacity 5 --senders 200 --duration 30 --warmup 30 --rounds 1 > /tmp/s12/$NAME.log 2>&1 &
LG=$!
until grep -q "platform: closed-loop messages" /tmp/s12/$NAME.log; do sleep 1; done
SILO=$(pgrep -f "Hotline.Silo.dll" | head -1); LGP=$(pgrep -f "Hotline.LoadGen.dll --spawn" | head -1)
sleep 8
perf stat -e $EV -p $SILO -o /tmp/s12/sysc-silo.txt -- sleep 10 &
perf stat -e $EV -p $LGP -o /tmp/s12/sysc-lg-platform.txt -- sleep 10
wait %2 2>/dev/null
grep -h "messages delivered=" /tmp/s12/$NAME.log | tail -1 > /tmp/s12/sysc-p-count.txt
until grep -q "relay: closed-loop messages" /tmp/s12/$NAME.log; do sleep 1; done
RELAY=$(pgrep -f "Hotline.Relay.dll" | head -1)
sleep 8
perf stat -e $EV -p $RELAY -o /tmp/s12/sysc-relay.txt -- sleep 10 &
perf stat -e $EV -p $LGP -o /tmp/s12/sysc-lg-relay.txt -- sleep 10
wait $LG
echo "done $NAME $(date -u +%T)" >> /tmp/s12/run.log
