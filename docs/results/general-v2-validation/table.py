import builtins,json,os,math
import sys
# usage: python3 table.py DIR [--pick-long]
# prints the validation goal table of DIR's summaries and the rule's choice; with --pick-long only
# the keys of the candidates whose 10,000-step rows the rule runs (most of the 10 shorter rows met;
# if more than three tie, the three with the lowest geometric mean of loss / Adam over those rows)
d=sys.argv[1] if len(sys.argv)>1 else '.'
pick_long='--pick-long' in sys.argv
out=[]
print=(lambda *a: out.append(' '.join(map(str,a))))
def load(f):
    r={}
    if not os.path.exists(f): return r
    for l in open(f):
        p=l.split(' ',2)
        if len(p)<3: continue
        j=json.loads(p[2]); r[p[0]]={x['name']:x for x in j['results']}
    return r
base=load(d+'/baselines-evaluate-summary.txt')
cands=[('q','Q'),('e','E'),('m','M'),('o','O'),('v1','`general-v1`')]
nets=[('base','base 784-20 sigmoid'),('fash','Fashion 2x40 ReLU'),('tanh','tanh 3x20'),('wide','160-unit sigmoid'),('conv','conv')]
data={c:load(f'{d}/{c}-evaluate-summary.txt') for c,_ in cands}
def fmt(v):
    return '%.3g'%v
print('| net | T | seeds | '+' | '.join(n for _,n in cands)+' | tuned Adam (lr) | tuned NAG (lr) |')
print('| --- | ---: | ---: | '+' | '.join('---' for _ in cands)+' | --- | --- |')
met={c:0 for c,_ in cands}; run={c:0 for c,_ in cands}; lr={c:[] for c,_ in cands}
smet={c:0 for c,_ in cands}; slr={c:[] for c,_ in cands}

for k,name in nets:
    for T in (100,1000,10000):
        r=f'{k}-{T}'
        b=base.get(r)
        if not b: continue
        a=b.get('adam'); g=b.get('nag')
        seeds={100:10,1000:10}.get(T,{'base':5}.get(k,3))
        cells=[]
        for c,_ in cands:
            x=data[c].get(r,{}).get('learned')
            if not x: cells.append('not run'); continue
            v=x['final_loss_mean']; am=a['final_loss_mean']
            ok = (v<=2*am if T==10000 else v<=am) and x['diverged']==0
            if g is not None: ok = ok and v<=g['final_loss_mean']
            run[c]+=1; met[c]+=ok; lr[c].append(math.log(v/am))
            if T<10000: smet[c]+=ok; slr[c].append(math.log(v/am))
            cells.append(('**%s**' if ok else '%s')%fmt(v) + ('' if x['diverged']==0 else ' (%d diverged)'%x['diverged']))
        fa=lambda z: '%s (%s)'%(fmt(z['final_loss_mean']),z['lr']) if z else '-'
        print(f'| {name if T==100 else ""} | {T:,} | {seeds} | '+' | '.join(cells)+f' | {fa(a)} | {fa(g)} |')
print('| **rows met** | | | '+' | '.join(f'**{met[c]}** of {run[c]}' for c,_ in cands)+' | | |')
print('| geometric mean of loss / Adam | | | '+' | '.join('%.2f'%math.exp(sum(lr[c])/len(lr[c])) if lr[c] else '-' for c,_ in cands)+' | | |')
gm=lambda z: math.exp(sum(z)/len(z)) if z else float('inf')
if pick_long:
    short=[c for c,_ in cands if len(slr[c])==10]
    top=max(smet[c] for c in short)
    tied=sorted((c for c in short if smet[c]==top), key=lambda c: gm(slr[c]))
    builtins.print(' '.join(tied[:3]))
else:
    for l in out: builtins.print(l)
    full=[c for c,_ in cands if run[c]==13]
    if full:
        best=sorted(full, key=lambda c: (-met[c], gm(lr[c])))[0]
        builtins.print('\nrule\'s choice among the candidates with all 13 rows: '+dict(cands)[best])
