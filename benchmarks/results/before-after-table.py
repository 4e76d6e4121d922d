import json, sys, collections
def load(f):
    try: return json.load(open(f))
    except Exception: return []
def key(r):
    p=r.get('params',{})
    return (r['benchmark'].split('.')[-1], p.get('type'), int(p.get('endpoints')))
def fmt(v):
    return "%.0f" % v if v >= 100 else ("%.1f" % v if v >= 10 else "%.2f" % v)
def cell(r):
    if r is None: return "–"
    m=r['primaryMetric']; e=m['scoreError']
    try: e=float(e)
    except: e=float('nan')
    return fmt(m['score']) + ("" if e!=e else " ± " + fmt(e))
base={key(r):r for f in sys.argv[1].split(',') for r in load(f)}
new={key(r):r for f in sys.argv[2].split(',') for r in load(f)}
methods=sorted({k[0] for k in list(base)+list(new)}, key=lambda m: ['pick','pickAndRelease','pick2Threads','pickAndRelease2Threads'].index(m))
for m in methods:
    sizes=sorted({k[2] for k in list(base)+list(new) if k[0]==m})
    types=[]
    for k in list(new)+list(base):
        if k[0]==m and k[1] not in types: types.append(k[1])
    print("#### %s (ns per op ± 99.9%% error; before = main at 06341db, after = this branch)\n" % m)
    print("| strategy | " + " | ".join("%d before | %d after" % (n,n) for n in sizes) + " |")
    print("|---|" + "--:|--:|"*len(sizes))
    for t in types:
        print("| %s | " % t + " | ".join("%s | %s" % (cell(base.get((m,t,n))), cell(new.get((m,t,n)))) for n in sizes) + " |")
    print()
