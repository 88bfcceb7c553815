import json,os,math
import sys; d=sys.argv[1] if len(sys.argv)>1 else '.'
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
            cells.append(('**%s**' if ok else '%s')%fmt(v) + ('' if x['diverged']==0 else ' (%d diverged)'%x['diverged']))
        fa=lambda z: '%s (%s)'%(fmt(z['final_loss_mean']),z['lr']) if z else '-'
        print(f'| {name if T==100 else ""} | {T:,} | {seeds} | '+' | '.join(cells)+f' | {fa(a)} | {fa(g)} |')
print('| **rows met** | | | '+' | '.join(f'**{met[c]}** of {run[c]}' for c,_ in cands)+' | | |')
print('| geometric mean of loss / Adam | | | '+' | '.join('%.2f'%math.exp(sum(lr[c])/len(lr[c])) if lr[c] else '-' for c,_ in cands)+' | | |')
