import subprocess,re,sys,collections
def load(f):
    out=subprocess.run(['perf','report','-i',f,'--no-children','--sort','comm,dso,sym','--stdio','-g','none','--percent-limit','0','-F','sample,comm,dso,sym'],capture_output=True,text=True).stdout
    rows=[]
    for l in out.splitlines():
        if l.startswith('#') or not l.strip(): continue
        m=re.match(r'\s*(\d+)\s+(.{15})\s+(\S+(?: \(deleted\))?|\[JIT\] tid \d+)\s+\[(.)\]\s+(.*)',l)
        if not m: continue
        rows.append((int(m.group(1)),m.group(2).strip(),m.group(3),m.group(5)))
    return rows
def cat(comm,dso,sym):
    if 'Tiered' in comm: return 'JIT thread'
    if dso.startswith('[kernel'): return 'kernel'
    if 'sqlite' in dso: return 'sqlite native'
    if 'coreclr' in dso: return 'coreclr'
    if 'clrjit' in dso: return 'clrjit'
    if dso.startswith('libc') or 'ld-linux' in dso or 'vdso' in dso or 'System.Native' in dso: return 'libc etc'
    m=re.search(r'\[([A-Za-z][\w.]*)\] ',sym)
    if m:
        a=m.group(1)
        for p,n in [('Hotline','ours'),('Orleans','Orleans'),('Microsoft.AspNetCore.SignalR','SignalR'),('Microsoft.AspNetCore.Server.Kestrel','Kestrel'),('Microsoft.AspNetCore.Http.Connections','Http.Connections'),('Microsoft.AspNetCore','AspNetCore other'),('System.Net.WebSockets','WebSockets'),('System.Net.Sockets','Sockets'),('System.IO.Pipelines','Pipelines'),('System.Text.Json','Json'),('OpenTelemetry','OTel'),('Microsoft.Data.Sqlite','Sqlite wrapper'),('SQLitePCL','Sqlite wrapper'),('System.Private.CoreLib','CoreLib'),('System.Threading.RateLimiting','RateLimiting'),('System.Collections','Collections')]:
            if a.startswith(p): return n
        return 'other:'+a
    if 'stub' in sym: return 'stubs'
    return 'unknown'
res={}
for f,msgs in [(sys.argv[1],float(sys.argv[2])),(sys.argv[3],float(sys.argv[4]))]:
    c=collections.Counter()
    for n,comm,dso,sym in load(f): c[cat(comm,dso,sym)]+=n
    res[f]=(c,msgs)
keys=sorted(set().union(*[r[0].keys() for r in res.values()]),key=lambda k:-res[sys.argv[1]][0][k])
print('| where | silo samples/1000 msgs | relay samples/1000 msgs | difference |')
tot=[0,0]
for k in keys:
    a=res[sys.argv[1]][0][k]/res[sys.argv[1]][1]*1000; b=res[sys.argv[3]][0][k]/res[sys.argv[3]][1]*1000
    tot[0]+=a; tot[1]+=b
    print(f'| {k} | {a:.1f} | {b:.1f} | {a-b:+.1f} |')
print(f'| total | {tot[0]:.1f} | {tot[1]:.1f} | {tot[0]-tot[1]:+.1f} |')
