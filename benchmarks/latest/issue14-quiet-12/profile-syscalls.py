import subprocess,sys,collections,re
def run(f,msgs):
    p=subprocess.Popen(['perf','script','-i',f,'-F','comm,ip,sym,dso'],stdout=subprocess.PIPE,text=True)
    c=collections.Counter(); frames=[]; comm=None
    def flush():
        if not frames: return
        if not frames[0][1].startswith('[kernel'): return
        # outermost kernel frame: walk from leaf to root, last kernel frame before user
        entry=None
        for sym,dso in frames:
            if dso.startswith('[kernel'):
                if re.match(r'(__x64_sys_|__do_sys_|do_syscall_64|asm_|irqentry|entry_SYSCALL)',sym): pass
                entry=sym
            else: break
        # find a syscall name
        names=[s for s,d in frames if d.startswith('[kernel') and (s.startswith('__x64_sys_') or s.startswith('__do_sys_'))]
        key=names[-1] if names else ('irq/other:'+entry)
        if 'Tiered' in comm: key='(JIT thread) '+key
        c[key]+=1
    for line in p.stdout:
        line=line.rstrip('\n')
        if not line: flush(); frames=[]; continue
        if not line.startswith('\t') and not line.startswith(' '):
            comm=line.strip(); frames=[]; continue
        m=re.match(r'\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)$',line)
        if m: frames.append((m.group(2).split('+')[0],m.group(3)))
    flush()
    return {k:v/msgs*1000 for k,v in c.items()}
a=run(sys.argv[1],float(sys.argv[2])); b=run(sys.argv[3],float(sys.argv[4]))
for k in sorted(set(a)|set(b),key=lambda k:-(a.get(k,0)))[:25]:
    print(f'| {k} | {a.get(k,0):.1f} | {b.get(k,0):.1f} |')
print('| total |',round(sum(a.values()),1),'|',round(sum(b.values()),1),'|')
