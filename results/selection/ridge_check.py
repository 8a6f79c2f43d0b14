import sqlite3, json, numpy as np, sys
c=sqlite3.connect('data/fmnist14.sqlite')
tasks=c.execute('select id,name from tasks order by id').fetchall()
rows=c.execute("select task_id, architecture, val_accuracy from trials where status='done' order by task_id, trial_index").fetchall()
mods=['pool2','pool4','pca32','rf64']
mode=sys.argv[1]
def enc(a):
    x=[0.0]*4; x[mods.index(a['embedding']['name'])]=1
    L=a['layers']; en=[l for l in L if l['enabled']]
    if mode in ('gated','full'):
        for l in L:
            v=[0.0]*13
            if l['enabled']: v[l['base']]=1
            else: v[12]=1
            x+=v
    else:  # raw u-like
        for l in L:
            v=[0.0]*14; v[l['base']]=1; v[12 if l['enabled'] else 13]=1; x+=v
    if mode=='full':
        d=[0.0]*8; d[len(en)]=1; x+=d
        x+= [np.log2(max([l['width'] for l in en],default=4)), sum(l['activation']=='tanh' for l in en)]
    return x
X={};Y={}
for tid,a,v in rows:
    X.setdefault(tid,[]).append(enc(json.loads(a))); Y.setdefault(tid,[]).append(v)
ids=[t[0] for t in tasks]
for k in ids:
    X[k]=np.array(X[k]); y=np.array(Y[k]); Y[k]=(y-y.mean())/y.std()
def spear(a,b):
    ra=np.argsort(np.argsort(a)); rb=np.argsort(np.argsort(b)); return np.corrcoef(ra,rb)[0,1]
def ridge(X,y,lam):
    d=X.shape[1]; return np.linalg.solve(X.T@X+lam*np.eye(d), X.T@y)
res=[]; loto=[]
for seed in range(3):
    rng=np.random.default_rng(seed)
    tr={};te={}
    for k in ids:
        p=rng.permutation(len(Y[k])); tr[k]=p[:100]; te[k]=p[100:]
    Xg=np.vstack([X[k][tr[k]] for k in ids]); yg=np.concatenate([Y[k][tr[k]] for k in ids])
    wg=ridge(Xg,yg,1.0)
    res.append([spear(X[k][te[k]]@wg, Y[k][te[k]]) for k in ids])
for i,k in enumerate(ids):
    Xg=np.vstack([X[j] for j in ids if j!=k]); yg=np.concatenate([Y[j] for j in ids if j!=k])
    loto.append(spear(X[k]@ridge(Xg,yg,1.0), Y[k]))
print(mode, 'split-half agnostic', np.mean(res), ' LOTO agnostic', np.mean(loto))
# LOTO with task features interacting with u features
meta=dict((r[0],r[1:]) for r in c.execute('select id,n_train,num_classes from tasks'))
def tf(k):
    n,cl=meta[k]; return np.array([np.log10(n)-3.3, np.log2(cl)-2])
for lam2 in [3,10,30,100]:
    loto2=[];own=[];swp=[]
    for i,k in enumerate(ids):
        rows_=[];ys=[]
        for j in ids:
            if j==k: continue
            t=tf(j); Z=np.hstack([X[j]]+[X[j]*t[q] for q in range(len(t))]); rows_.append(Z); ys.append(Y[j])
        Xg=np.vstack(rows_); yg=np.concatenate(ys); D=X[k].shape[1]
        lam=np.ones(Xg.shape[1]); lam[D:]=lam2
        w=np.linalg.solve(Xg.T@Xg+np.diag(lam), Xg.T@yg)
        def pred(t): return np.hstack([X[k]]+[X[k]*t[q] for q in range(len(t))])@w
        s_own=spear(pred(tf(k)),Y[k]); own.append(s_own)
        swp.append(np.mean([spear(pred(tf(j)),Y[k]) for j in ids if j!=k]))
    own=np.array(own); swp=np.array(swp); lo=np.array(loto)
    print('lam',lam2,'LOTO with size+classes', own.mean(), 'beats agnostic on', (own>lo).sum(), ' zswap gap', (own-swp).mean(), 'wins', (own>swp).sum())
